// Placeholder: implemented with issue 6.
import type { CommandContext } from './commands';
import type { Services } from './services';

export function registerRecording(_services: Services, _commands: CommandContext): void {}
