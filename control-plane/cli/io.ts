// Where a command writes: now declared by the runner (command.ts); kept until controller.ts moves to it.
export type { CliIO } from './command.ts'
