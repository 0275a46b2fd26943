// The live demo's picture: the input waveform above, the class probabilities below, on one
// time axis (samples pushed), so the delay between the true class (the band, for generated
// waves) and the answer is visible; drops are marked where they happened.
import {CLASSES} from '../waves';
import {NO_LABEL, PushResult} from './live_protocol';

export const COLORS = ['#cc3333', '#3366cc', '#33aa77', '#cc8800'];

/** Samples shown across the canvas. */
const VIEW = 640;

export class LiveView {
  private wave: number[] = [];
  private labels: number[] = [];
  /** Index (in samples pushed since the start) of `wave[0]`. */
  private first = 0;
  private outputs: {at: number; p: Float32Array}[] = [];
  private drops: {at: number; count: number}[] = [];
  private frames = 0;

  /**
   * @param stride input samples per output frame
   * @param receptiveField samples one output reads
   * @param pooled samples one output's pooling window covers (the training width)
   */
  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly stride: number,
    private readonly receptiveField: number,
    private readonly pooled: number
  ) {}

  private get total(): number {
    return this.first + this.wave.length;
  }

  add(result: PushResult): void {
    if (result.droppedNow > 0) this.drops.push({at: this.total, count: result.droppedNow});
    this.wave.push(...result.samples);
    this.labels.push(...result.labels);
    const classes = CLASSES.length;
    for (let f = 0; f < result.frames; f++) {
      // Output frame n answers for the signal up to sample n * stride.
      this.outputs.push({
        at: this.frames++ * this.stride,
        p: result.probabilities.slice(f * classes, (f + 1) * classes),
      });
    }
    const excess = this.wave.length - VIEW;
    if (excess > 0) {
      this.wave.splice(0, excess);
      this.labels.splice(0, excess);
      this.first += excess;
    }
    this.outputs = this.outputs.filter(o => o.at >= this.first);
    this.drops = this.drops.filter(d => d.at >= this.first);
  }

  draw(): void {
    const {canvas} = this;
    const ctx = canvas.getContext('2d')!;
    const [left, right] = [8, canvas.width - 8];
    const wave = {top: 22, bottom: 142};
    const band = {top: 156, bottom: 166};
    const trace = {top: 170, bottom: canvas.height - 24};
    const x = (at: number) => left + ((at - (this.total - VIEW)) / VIEW) * (right - left);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'alphabetic';

    // The true class: a band behind the wave, and a strip right above the trace.
    for (let i = 0; i < this.labels.length; ) {
      let j = i;
      while (j < this.labels.length && this.labels[j] === this.labels[i]) j++;
      const c = this.labels[i];
      if (c !== NO_LABEL) {
        const [x0, x1] = [x(this.first + i), x(this.first + j)];
        ctx.fillStyle = COLORS[c];
        ctx.globalAlpha = 0.15;
        ctx.fillRect(x0, wave.top, x1 - x0, wave.bottom - wave.top);
        ctx.globalAlpha = 1;
        ctx.fillRect(x0, band.top, x1 - x0, band.bottom - band.top);
        if (x1 - x0 > 50) ctx.fillText(CLASSES[c], x0 + 3, wave.top + 13);
        ctx.fillRect(x0, wave.top, 1, wave.bottom - wave.top);
      }
      i = j;
    }

    // The waveform.
    const mid = (wave.top + wave.bottom) / 2;
    ctx.strokeStyle = '#ddd';
    ctx.beginPath();
    ctx.moveTo(left, mid);
    ctx.lineTo(right, mid);
    ctx.stroke();
    ctx.strokeStyle = '#222';
    ctx.beginPath();
    this.wave.forEach((v, i) => {
      const y = mid - (Math.max(-1, Math.min(1, v / 2.5)) * (wave.bottom - wave.top)) / 2;
      if (i === 0) ctx.moveTo(x(this.first + i), y);
      else ctx.lineTo(x(this.first + i), y);
    });
    ctx.stroke();

    // What the latest output read: its receptive field, and the pooled training width in it.
    const now = x(this.total);
    const bracket = (samples: number, y: number, label: string) => {
      const from = x(this.total - samples);
      ctx.strokeStyle = ctx.fillStyle = '#555';
      ctx.beginPath();
      ctx.moveTo(from, y + 4);
      ctx.lineTo(from, y);
      ctx.lineTo(now, y);
      ctx.lineTo(now, y + 4);
      ctx.stroke();
      ctx.textAlign = 'right';
      ctx.fillText(label, from - 4, y + 4);
      ctx.textAlign = 'left';
    };
    bracket(this.receptiveField, 6, `the latest output reads these ${this.receptiveField} samples`);
    bracket(this.pooled, wave.bottom + 6, `and averages over the last ${this.pooled}`);

    // Samples dropped because pushes fell behind.
    for (const d of this.drops) {
      ctx.strokeStyle = ctx.fillStyle = '#d00';
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(x(d.at), wave.top);
      ctx.lineTo(x(d.at), trace.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillText(`${d.count} dropped`, x(d.at) + 3, wave.bottom - 4);
    }

    // The probabilities, each at the sample it answers for.
    ctx.strokeStyle = '#eee';
    ctx.strokeRect(left, trace.top, right - left, trace.bottom - trace.top);
    ctx.fillStyle = '#999';
    ctx.fillText('1', left + 2, trace.top + 11);
    ctx.fillText('0', left + 2, trace.bottom - 3);
    CLASSES.forEach((name, c) => {
      ctx.strokeStyle = COLORS[c];
      ctx.lineWidth = 2;
      ctx.beginPath();
      this.outputs.forEach((o, i) => {
        const y = trace.bottom - o.p[c] * (trace.bottom - trace.top);
        if (i === 0) ctx.moveTo(x(o.at), y);
        else ctx.lineTo(x(o.at), y);
      });
      ctx.stroke();
      ctx.lineWidth = 1;
      ctx.fillStyle = COLORS[c];
      ctx.fillText(`${name}`, left + 80 * c, canvas.height - 6);
    });
    ctx.fillStyle = '#555';
    ctx.textAlign = 'right';
    ctx.fillText(
      'probability per output (0 to 1) · time runs left to right',
      right,
      canvas.height - 6
    );
    ctx.textAlign = 'left';
  }
}
