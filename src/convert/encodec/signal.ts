/**
 * A value in convolutional layout [batch, channels, time] flowing through a SEANet graph, with a
 * static lower bound on its time length. The bound lets the builders drop the small-input padding
 * fallback wherever the input can never be that short (e.g. the decoder at sample resolution), so
 * large graphs do not pay for a branch that cannot trigger.
 */
export interface Signal {
  /** Graph value name, float32 [batch, channels, time]. */
  value: string;
  channels: number;
  /** Smallest time length this value can have for any valid graph input (>= 1). */
  minLength: number;
}
