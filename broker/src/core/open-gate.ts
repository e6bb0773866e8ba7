import { WeirError } from "@weir/common";

/**
 * Whether the broker still takes calls. Shared by the broker's units so that, once `close()` began,
 * every write path refuses with the same UNAVAILABLE error.
 */
export class OpenGate {
  private isOpen = true;

  /** True until {@link OpenGate.close} is called. */
  get open(): boolean {
    return this.isOpen;
  }

  /** Marks the broker as shutting down; returns false when it already was. */
  close(): boolean {
    if (!this.isOpen) return false;
    this.isOpen = false;
    return true;
  }

  /** @throws WeirError UNAVAILABLE once the broker is shutting down. */
  assertOpen(): void {
    if (!this.isOpen)
      throw new WeirError("UNAVAILABLE", "the broker is shutting down; retry against another node or later");
  }
}
