/**
 * CPU over a phase's steady window: mqbench's whole process (every thread: the generator) and,
 * when its process id is known, the target broker's.
 */
import { processCpuSeconds, selfCpuSeconds } from '../metrics/proc-cpu.js';

export interface SteadyCpu {
  /** The generator's CPU seconds in the steady window. */
  cpuSeconds: number;
  /** The target's; null when it has no known process id or it could not be read. */
  targetCpu: number | null;
}

export class CpuMeter {
  private self: number | null = null;
  private target: number | null = null;

  constructor(private readonly targetPid: number | null) {}

  /** The steady window begins. */
  start(): void {
    this.self = selfCpuSeconds();
    this.target = this.targetPid === null ? null : processCpuSeconds(this.targetPid);
  }

  /** The steady window ended: the CPU used since start(); null when it never began. */
  stop(): SteadyCpu | null {
    if (this.self === null) return null;
    const cpuSeconds = selfCpuSeconds() - this.self;
    const targetNow = this.targetPid === null ? null : processCpuSeconds(this.targetPid);
    return { cpuSeconds, targetCpu: targetNow === null || this.target === null ? null : targetNow - this.target };
  }
}
