/**
 * `completion`: a bash completion script for both spellings, `git-credential-bitbucket …` and
 * `git credential-bitbucket …` (git's own completion calls `_git_credential_bitbucket` for the
 * latter). Candidates come from yargs (`--get-yargs-completions`), run by absolute paths like the
 * helper line, so that completion works whatever PATH holds.
 */
import { shQuote } from '../git/hooks.js';
import { program } from './shared/invocation.js';

export function completionScript(p = program()): string {
  const run = `${shQuote(p.node)} ${shQuote(p.bin)}`;
  return `###-begin-git-credential-bitbucket-completions-###
# bash completion for git-credential-bitbucket and \`git credential-bitbucket\`
# Installation: git-credential-bitbucket completion >> ~/.bashrc
_git_credential_bitbucket_candidates() {
  ${run} --get-yargs-completions git-credential-bitbucket "$@" 2>/dev/null
}
_git_credential_bitbucket_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  mapfile -t COMPREPLY < <(compgen -W "$(_git_credential_bitbucket_candidates "\${COMP_WORDS[@]:1:COMP_CWORD}")" -- "$cur")
}
complete -o bashdefault -o default -F _git_credential_bitbucket_complete git-credential-bitbucket
# git's completion sets words, cword and cur, then calls this for \`git credential-bitbucket\`
_git_credential_bitbucket() {
  local i=1
  while [ "$i" -lt "$cword" ] && [ "\${words[i]}" != credential-bitbucket ]; do i=$((i + 1)); done
  mapfile -t COMPREPLY < <(compgen -W "$(_git_credential_bitbucket_candidates "\${words[@]:i+1:cword-i}")" -- "$cur")
}
###-end-git-credential-bitbucket-completions-###
`;
}
