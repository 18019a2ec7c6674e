/**
 * Page-fault and peak-memory readings for benchmark children. A minor page fault is the kernel handing
 * a process a fresh zero-filled page; a step that frees its buffers to the kernel and maps them again
 * pays one per 4 KiB touched, so the counts belong next to the times (the Python side reads the same
 * counters through `resource.getrusage`).
 */

/** Minor page faults of this process so far. */
export function minorFaults(): number {
  return process.resourceUsage().minorPageFault;
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return (process.resourceUsage().maxRSS * 1024) / 1e6;
}
