/** A one-line bar on a TTY, redrawn at most 10 times a second. */
export class ProgressBar {
  private last = 0;
  private shown = false;
  private readonly t0 = Date.now();
  constructor(private readonly stream: NodeJS.WriteStream) {}
  update(step: number, total: number, label: string): void {
    const now = Date.now();
    if (now - this.last < 100 && step < total) return;
    this.last = now;
    const width = 30;
    const done = Math.round((width * step) / total);
    const elapsed = (now - this.t0) / 1000;
    const eta = step ? (elapsed / step) * (total - step) : 0;
    this.stream.write(
      `\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${step}/${total} ${label}  ${elapsed.toFixed(0)} s, ~${eta.toFixed(0)} s left\x1b[K`,
    );
    this.shown = true;
  }
  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}
