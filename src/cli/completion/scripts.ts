// The completion scripts `env-sync completion <shell>` prints. Each asks `env-sync __complete <word>…` for
// the candidates of the word being typed, and falls back to file names when it prints none.

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const BASH = `# env-sync completion for bash: eval "$(env-sync completion bash)" in ~/.bashrc
_env_sync() {
  local IFS=$'\\n'
  COMPREPLY=($(env-sync __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -o nosort -F _env_sync env-sync
`;

const ZSH = `#compdef env-sync
# env-sync completion for zsh: eval "$(env-sync completion zsh)" in ~/.zshrc (after compinit)
_env_sync() {
  local -a candidates
  candidates=("\${(@f)$(env-sync __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ -z "\${candidates[1]}" ]]; then
    _files
  else
    compadd -Q -- "\${candidates[@]}"
  fi
}
compdef _env_sync env-sync
`;

const FISH = `# env-sync completion for fish: env-sync completion fish > ~/.config/fish/completions/env-sync.fish
function __env_sync_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l found (env-sync __complete $words[2..-1] 2>/dev/null)
    if test (count $found) -eq 0
        __fish_complete_path (commandline -ct)
    else
        printf '%s\\n' $found
    end
end
complete -c env-sync -f -a '(__env_sync_complete)'
`;

export const COMPLETION_SCRIPTS: Readonly<Record<Shell, string>> = { bash: BASH, zsh: ZSH, fish: FISH };
