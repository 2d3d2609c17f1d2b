/**
 * What this worker knows about KDF task ids, per node: the highest id it has seen and the ids its own
 * enablements hold. KDF has no "list tasks" call, so this is what lets a retried init find the task that a lost
 * response started instead of starting a second activation.
 */
export class TaskIdTracker {
  readonly #highestSeen = new Map<string, number>();
  readonly #claimed = new Map<string, Set<number>>();

  highestSeen(node: string): number | null {
    return this.#highestSeen.get(node) ?? null;
  }

  saw(node: string, taskId: number): void {
    this.#highestSeen.set(node, Math.max(taskId, this.#highestSeen.get(node) ?? -1));
  }

  claim(node: string, taskId: number): void {
    this.saw(node, taskId);
    let ids = this.#claimed.get(node);
    if (!ids) this.#claimed.set(node, (ids = new Set()));
    ids.add(taskId);
  }

  isClaimed(node: string, taskId: number): boolean {
    return this.#claimed.get(node)?.has(taskId) ?? false;
  }

  release(node: string, taskId: number): void {
    this.#claimed.get(node)?.delete(taskId);
  }
}
