/** Types of the two parts of ssh2 that arx loads (see loadSsh2 in connect.ts); the package types only its index. */
declare module 'ssh2/lib/client.js' {
  const Client: typeof import('ssh2').Client;
  export = Client;
}
declare module 'ssh2/lib/protocol/keyParser.js' {
  export const parseKey: typeof import('ssh2').utils.parseKey;
}
