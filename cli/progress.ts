/** A one-line progress bar on a terminal; silent when the stream is not a TTY, so pipes and logs stay clean. */
export class ProgressBar {
  readonly #total: number;
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  #done = 0;

  constructor(total: number, stream: NodeJS.WriteStream) {
    this.#total = total;
    this.#stream = stream;
    this.#enabled = stream.isTTY === true;
  }

  tick(label: string): void {
    this.#done += 1;
    if (!this.#enabled) return;
    const width = 30;
    const filled = Math.round((this.#done / this.#total) * width);
    const columns = this.#stream.columns ?? 80;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.#done}/${this.#total} ${label}`;
    this.#stream.write(`\r${line.slice(0, columns - 1).padEnd(columns - 1)}`);
  }

  done(): void {
    if (this.#enabled) this.#stream.write('\n');
  }
}
