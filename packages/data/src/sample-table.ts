import type { Format, Indexed, Item } from './stream.js';

/**
 * Every usable sample of a stream by its stable index, in columns: what `neighbors` needs to read
 * a neighbour's image by index. Per sample: 20 bytes of typed arrays (unit, offset, size, label),
 * three array slots and three strings (key, caption, and the image's entry name or file path).
 */
export class SampleTable {
  length = 0;
  private readonly keys: string[] = [];
  private readonly captions: string[] = [];
  private readonly texts: string[] = [];
  private units = new Int32Array(1024);
  private offsets = new Float64Array(1024);
  private sizes = new Uint32Array(1024);
  private labels = new Int32Array(1024);

  constructor(private readonly format: Format) {}

  /** Adds the sample whose stable index is `length`, found in unit `u`. */
  push(u: number, item: Item): void {
    const i = this.length++;
    if (i === this.units.length) {
      const grow = <T extends Int32Array | Float64Array | Uint32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(2 * a.length);
        b.set(a);
        return b;
      };
      this.units = grow(this.units);
      this.offsets = grow(this.offsets);
      this.sizes = grow(this.sizes);
      this.labels = grow(this.labels);
    }
    const { offset, size, text } = this.format.pack(u, item.image);
    this.units[i] = u;
    this.offsets[i] = offset;
    this.sizes[i] = size;
    this.labels[i] = item.label;
    this.keys.push(item.key);
    this.captions.push(item.caption);
    this.texts.push(text);
  }

  /** The sample with stable index `i`, as the epoch's order yields it. */
  get(i: number): Indexed {
    const u = this.units[i];
    return {
      index: i,
      key: this.keys[i],
      caption: this.captions[i],
      label: this.labels[i],
      image: this.format.unpack(u, this.offsets[i], this.sizes[i], this.texts[i]),
    };
  }
}
