/**
 * The few most recently used values by revision. A value being built is shared by everyone who
 * asks meanwhile; a build that fails is forgotten, so the next question tries again.
 */
export class RevisionLru<T> {
  private readonly entries = new Map<number, Promise<T>>();

  constructor(private readonly capacity: number) {}

  get(revision: number, build: () => Promise<T>): Promise<T> {
    let entry = this.entries.get(revision);
    if (entry) {
      this.entries.delete(revision);
      this.entries.set(revision, entry);
      return entry;
    }
    entry = build();
    this.entries.set(revision, entry);
    entry.catch(() => {
      if (this.entries.get(revision) === entry) this.entries.delete(revision);
    });
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as number);
    return entry;
  }

  clear(): void {
    this.entries.clear();
  }
}
