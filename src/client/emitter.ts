/** A tiny typed event emitter (web-standard; listener errors never reach the emitter). */

/** Listener map → `on` / `emit` with checked payloads. */
export class Emitter<E extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof E, Set<(v: never) => void>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, fn: (value: E[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (v: never) => void);
    return () => this.off(event, fn);
  }

  /** Removes a listener. */
  off<K extends keyof E>(event: K, fn: (value: E[K]) => void): void {
    this.listeners.get(event)?.delete(fn as (v: never) => void);
  }

  /** Calls every listener of `event`; a throwing listener is reported and skipped. */
  protected emit<K extends keyof E>(event: K, value: E[K]): void {
    for (const fn of [...(this.listeners.get(event) ?? [])]) {
      try {
        (fn as (v: E[K]) => void)(value);
      } catch (err) {
        console.error(`magpie client: ${String(event)} listener threw`, err);
      }
    }
  }
}
