// Placeholder: implemented with issue 6.
import type { CommandContext } from './commands';
import type { Services } from './services';

export function registerPanels(_services: Services, _commands: CommandContext): void {}
