// `env-sync completion <shell>`: print the script that makes a shell complete env-sync's command lines.

import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { EnvSyncCommand } from '../base-command.ts';
import { COMPLETION_SCRIPTS, SHELLS } from './scripts.ts';

export class CompletionCommand extends EnvSyncCommand {
  static override paths = [['completion']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'print a shell completion script (bash, zsh or fish)',
    details: `
      Prints a script that completes env-sync's commands, options, environments, key names (never values),
      remotes and peers. It asks \`env-sync __complete\` for the candidates of the word being typed, so it stays
      right as commands change; where no name fits, the shell completes file names.
    `,
    examples: [
      ['Complete in bash (add to ~/.bashrc)', 'eval "$($0 completion bash)"'],
      ['Complete in zsh (add to ~/.zshrc, after compinit)', 'eval "$($0 completion zsh)"'],
      ['Complete in fish', '$0 completion fish > ~/.config/fish/completions/env-sync.fish'],
    ],
  });

  shell = Option.String({ name: 'shell', validator: t.isEnum(SHELLS) });

  async execute(): Promise<number> {
    this.context.stdout.write(COMPLETION_SCRIPTS[this.shell]);
    return 0;
  }
}
