/**
 * The agent's event stream: every event gets the next id (1, 2, ...), and the
 * newest MAX_KEPT are kept so a client that reconnects with Last-Event-ID gets
 * what it missed. A gap between the id asked for and the oldest kept one means
 * events were dropped; `since` reports it.
 */
export type AgentEventType = 'sync_started' | 'progress' | 'sync_complete' | 'conflict' | 'error';

export interface AgentEvent {
  id: number;
  type: AgentEventType;
  /** ISO time the event happened. */
  time: string;
  data: Record<string, unknown>;
}

const MAX_KEPT = 1000;

export class EventLog {
  private readonly kept: AgentEvent[] = [];
  private readonly listeners = new Set<(e: AgentEvent) => void>();
  private lastId = 0;

  constructor(private readonly clock: () => Date = () => new Date()) {}

  publish(type: AgentEventType, data: Record<string, unknown>): AgentEvent {
    const e: AgentEvent = { id: ++this.lastId, type, time: this.clock().toISOString(), data };
    this.kept.push(e);
    if (this.kept.length > MAX_KEPT) this.kept.splice(0, this.kept.length - MAX_KEPT);
    for (const fn of this.listeners) fn(e);
    return e;
  }

  /** Events after `afterId`, oldest first; `dropped` when some of them are no longer kept. */
  since(afterId: number): { events: AgentEvent[]; dropped: boolean } {
    const events = this.kept.filter((e) => e.id > afterId);
    const oldest = this.kept[0]?.id ?? this.lastId + 1;
    return { events, dropped: afterId < this.lastId && afterId + 1 < oldest };
  }

  /** Calls `fn` for each new event until the returned function is called. */
  subscribe(fn: (e: AgentEvent) => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  get newestId(): number {
    return this.lastId;
  }
}
