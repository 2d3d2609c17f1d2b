/**
 * Due times of many items in one binary min-heap, served by a single timer: thousands of running tasks cost one
 * `setTimeout`, not one per task per phase. Readers call `popDue(now)` themselves, so state is exact at every
 * request even when the timer fires late.
 *
 * @module
 */

interface Entry<T> {
  readonly at: number;
  readonly seq: number;
  readonly item: T;
}

export class Timeline<T> {
  readonly #heap: Entry<T>[] = [];
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;

  /** @param onDue called (on the timer) when the earliest item is due; it should drain `popDue`. */
  constructor(
    private readonly onDue: () => void,
    private readonly now: () => number
  ) {}

  /** Items with the same `at` come out in insertion order. */
  push(at: number, item: T): void {
    const heap = this.#heap;
    heap.push({ at, seq: this.#seq++, item });
    let child = heap.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!before(heap[child] as Entry<T>, heap[parent] as Entry<T>)) break;
      swap(heap, child, parent);
      child = parent;
    }
    if (at < this.#timerAt) this.#arm(at);
  }

  /** Removes and returns the earliest item due at `now`. */
  popDue(now: number): T | undefined {
    const heap = this.#heap;
    const top = heap[0];
    if (top === undefined || top.at > now) return undefined;
    const last = heap.pop() as Entry<T>;
    if (heap.length > 0) {
      heap[0] = last;
      let parent = 0;
      for (;;) {
        const left = 2 * parent + 1;
        let smallest = parent;
        if (left < heap.length && before(heap[left] as Entry<T>, heap[smallest] as Entry<T>)) smallest = left;
        if (left + 1 < heap.length && before(heap[left + 1] as Entry<T>, heap[smallest] as Entry<T>))
          smallest = left + 1;
        if (smallest === parent) break;
        swap(heap, parent, smallest);
        parent = smallest;
      }
    }
    return top.item;
  }

  /** Re-arms the timer for the earliest remaining item; call after draining. */
  rearm(): void {
    const top = this.#heap[0];
    if (top === undefined) this.#disarm();
    else if (top.at !== this.#timerAt) this.#arm(top.at);
  }

  /** Forgets every item and stops the timer. */
  clear(): void {
    this.#heap.length = 0;
    this.#disarm();
  }

  #arm(at: number): void {
    this.#disarm();
    this.#timerAt = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Infinity;
        this.onDue();
      },
      Math.max(0, Math.ceil(at - this.now()))
    );
    // the simulator's server keeps the process alive, never its timer
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }
}

const before = <T>(a: Entry<T>, b: Entry<T>) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

function swap<T>(array: T[], i: number, j: number): void {
  const item = array[i] as T;
  array[i] = array[j] as T;
  array[j] = item;
}
