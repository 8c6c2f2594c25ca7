/** What of a URL or a secret may be shown: one rule for webhooks, the remote, errors and logs. */
import { describe, expect, it } from 'vitest';
import { noteSecret, noteUrlSecrets, noteWebhook, redactText, redactUrl, redactWebhookUrl } from '../../src/util/redact.js';

describe('redactUrl', () => {
  it('keeps scheme, host and path as written; masks user-info, credential-like query values and the fragment', () => {
    expect(redactUrl('sftp://arx@files.example.com:2222/~/projects/p1')).toBe('sftp://***@files.example.com:2222/~/projects/p1');
    expect(redactUrl('sftp://h/a b/ü?token=abc&mode=x&X-Amz-Signature=zz&api_key=k&code=1#frag')).toBe('sftp://h/a b/ü?token=***&mode=x&X-Amz-Signature=***&api_key=***&code=***#***');
    expect(redactUrl('smtp://user:secret@mail.example.com:587')).toBe('smtp://***@mail.example.com:587');
    expect(redactUrl('https://json-schema.org/draft/2020-12/schema')).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('is idempotent, and text that is not a URL is masked whole', () => {
    for (const u of ['https://***@h/***', 'sftp://***@h:22/x?token=***']) expect(redactUrl(u)).toBe(u);
    expect(redactUrl('user:pass@host')).toBe('***');
  });
});

describe('redactWebhookUrl', () => {
  it('scheme and host only, user-info masked', () => {
    expect(redactWebhookUrl('https://hooks.example.com/arx')).toBe('https://hooks.example.com/***');
    expect(redactWebhookUrl('https://user:pa%40ss@hooks.example.com:8443/T0K3N?token=x#y')).toBe('https://***@hooks.example.com:8443/***');
    expect(redactWebhookUrl('HTTP://tok@h')).toBe('HTTP://***@h/***');
  });
});

describe('redactText', () => {
  it('masks every URL in a message, keeping the punctuation around it; a known webhook is shown as a webhook', () => {
    noteWebhook('https://user:p%40ss@127.0.0.1:99/hooks/T0K3N-PATH?token=t');
    const msg = 'Request cannot be constructed from a URL that includes credentials: https://user:p%40ss@127.0.0.1:99/hooks/T0K3N-PATH?token=t. (see sftp://me@h/x?sig=1, https://other.example.com/a?code=9)';
    expect(redactText(msg)).toBe('Request cannot be constructed from a URL that includes credentials: https://***@127.0.0.1:99/***. (see sftp://***@h/x?sig=***, https://other.example.com/a?code=***)');
    // The webhook's path alone is a secret too.
    expect(redactText('POST /hooks/T0K3N-PATH failed')).toBe('POST *** failed');
  });

  it('masks noted secrets (raw and decoded URL credentials too), longest first', () => {
    noteSecret('hunter22');
    noteSecret('hunter22-and-more');
    noteSecret('wrong'); // too short to be told from ordinary words: left alone
    noteUrlSecrets('https://us%65rname:p%40ssw0rd@h/x?access_token=tok123456&a=b');
    expect(redactText('pw hunter22-and-more, hunter22; p@ssw0rd p%40ssw0rd username tok123456 wrong')).toBe('pw ***, ***; *** *** *** *** wrong');
  });
});
