// Where a command writes: injected so the commands run in-process in tests.
export interface CliIO {
  stdout: (text: string) => void
  stderr: (text: string) => void
}
