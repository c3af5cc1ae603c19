/**
 * `mqbench completion`: a completion script for bash and zsh (through zsh's bashcompinit),
 * written from the registered commands and the options their builders declare, so a new
 * command or flag completes without a change here. The script is static: a Tab starts no node.
 */
import type { Argv } from 'yargs';
import { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';
import { commandName, declaredOf, type AnyCommand } from './usage.js';

/** A command and the long options to complete after it. */
export interface Completable {
  name: string;
  options: readonly string[];
}

/** The commands of `modules` with their visible long options (--help included). */
export function completables(modules: readonly AnyCommand[]): Completable[] {
  return modules.map((m) => {
    const d = declaredOf(m);
    return { name: commandName(m), options: d.long.filter((o) => !d.hidden.includes(o) && o !== 'version' && !/[A-Z]/.test(o)) };
  });
}

/** The script: commands after `mqbench`, a command's options after a '-', files otherwise. */
export function completionScript(commands: readonly Completable[]): string {
  const cases = commands.map((c) => `    ${c.name}) opts="${c.options.map((o) => `--${o}`).join(' ')}" ;;`);
  return [
    '###-begin-mqbench-completions-###',
    '# mqbench completion for bash and zsh. Install: mqbench completion >> ~/.bashrc (or ~/.zshrc)',
    'if [ -n "${ZSH_VERSION:-}" ]; then autoload -U +X bashcompinit && bashcompinit; fi',
    '_mqbench_completions() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" opts=""',
    '  if [ "$COMP_CWORD" -eq 1 ]; then',
    `    COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(' ')} --help --version" -- "$cur"))`,
    '    return 0',
    '  fi',
    '  case "${COMP_WORDS[1]}" in',
    ...cases,
    '  esac',
    '  # Empty: the shell completes file names (scenario and result files).',
    '  COMPREPLY=()',
    '  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); fi',
    '  return 0',
    '}',
    'complete -o default -F _mqbench_completions mqbench',
    '###-end-mqbench-completions-###',
    '',
  ].join('\n');
}

/** The command; `others`: every other registered command, whose names and options the script completes. */
export function completionCommandModule(others: readonly AnyCommand[], io: Io, setCode: (code: number) => void): AnyCommand {
  const self: AnyCommand = {
    command: 'completion [shell]',
    describe: 'Print a bash/zsh completion script for mqbench (its commands and options)',
    builder: (y: Argv) =>
      y
        .positional('shell', { type: 'string', choices: ['bash', 'zsh'], describe: 'The shell; one script serves both' })
        .example('$0 completion >> ~/.bashrc', 'complete mqbench in new bash shells')
        .example('$0 completion >> ~/.zshrc', 'the same for zsh'),
    handler: () => {
      io.stdout.write(completionScript(completables([...others, self])));
      setCode(ExitCode.Pass);
    },
  };
  return self;
}
