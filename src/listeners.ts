/**
 * Listeners that cannot stop their node: each listener added to a node is
 * wrapped so that what it throws is caught and reported (the node logs it),
 * and the other listeners and the node go on. A plain `EventTarget` reports
 * such an error as uncaught, which ends a Deno process.
 *
 * @module
 */

type Listener = EventListenerOrEventListenerObject;

/** The wrappers of one event target's listeners; see the module documentation. */
export class GuardedListeners {
  /** Wrappers by listener, then by capture flag and type. */
  #wrappers = new WeakMap<Listener, Map<string, EventListener>>();
  /** Event types that have (or had) a listener, to skip building events nobody hears. */
  #listened = new Set<string>();
  #target: EventTarget;
  #onError: (type: string, error: unknown) => void;

  /** Wraps listeners of `target`; `onError` is told of each listener that throws. */
  constructor(target: EventTarget, onError: (type: string, error: unknown) => void) {
    this.#target = target;
    this.#onError = onError;
  }

  /** Whether anyone ever listened for `type`. */
  listens(type: string): boolean {
    return this.#listened.has(type);
  }

  /** The wrapper to register for `listener` (the same one each time it is added). */
  wrap(
    type: string,
    listener: Listener,
    options?: boolean | EventListenerOptions,
  ): EventListener {
    this.#listened.add(type);
    const key = `${capture(options)}:${type}`;
    let byKey = this.#wrappers.get(listener);
    if (!byKey) {
      byKey = new Map();
      this.#wrappers.set(listener, byKey);
    }
    let wrapper = byKey.get(key);
    if (!wrapper) {
      const target = this.#target;
      wrapper = (event: Event) => {
        try {
          if (typeof listener === "function") listener.call(target, event);
          else listener.handleEvent(event);
        } catch (error) {
          this.#onError(type, error);
        }
      };
      byKey.set(key, wrapper);
    }
    return wrapper;
  }

  /** The wrapper registered for `listener`, if it was ever added. */
  find(
    type: string,
    listener: Listener,
    options?: boolean | EventListenerOptions,
  ): EventListener | undefined {
    return this.#wrappers.get(listener)?.get(`${capture(options)}:${type}`);
  }
}

function capture(options: boolean | EventListenerOptions | undefined): boolean {
  return typeof options === "boolean" ? options : options?.capture ?? false;
}
