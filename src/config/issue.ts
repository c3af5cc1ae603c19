/** A problem with the flags or a scenario file: where it is and what to do; collected, never thrown. */
export interface ConfigIssue {
  /** Where the problem is: a flag such as '--rate', or a file position such as 'fan-in.yaml: groups[1].qos (line 9)'. */
  where: string;
  /** What is wrong and what would be valid. */
  message: string;
}
