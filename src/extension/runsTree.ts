// Placeholder: implemented with issue 6.
import type { CommandContext } from './commands';
import type { Services } from './services';

export function registerRunsTree(_services: Services, _commands: CommandContext): void {}
