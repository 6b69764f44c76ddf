/**
 * Addresses of Bitbucket pages to show to the user (docs/bitbucket-server.md section 10). These are UI
 * pages under `/plugins/servlet`: show them, never request them with a token (a Bearer token gets
 * a 302 there, and Basic with a token a 401 that counts towards the CAPTCHA lock).
 */

/**
 * The page where a user manages their HTTP access tokens: with a slug, the newer
 * `{base}/plugins/servlet/access-tokens/users/{slug}/manage`; without, the older
 * `{base}/plugins/servlet/access-tokens/manage`.
 */
export function tokenPageUrl(baseUrl: string, userSlug?: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  if (userSlug === undefined || userSlug === '') return `${base}/plugins/servlet/access-tokens/manage`;
  return `${base}/plugins/servlet/access-tokens/users/${encodeURIComponent(userSlug)}/manage`;
}

/**
 * Where project or repository tokens are managed (project / repository settings), by analogy with
 * the user page. [unsure: the exact path is not documented]
 */
export function projectTokenPageUrl(baseUrl: string, projectKey: string, repoSlug?: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  const project = `${base}/plugins/servlet/access-tokens/projects/${encodeURIComponent(projectKey)}`;
  return repoSlug === undefined ? `${project}/manage` : `${project}/repos/${encodeURIComponent(repoSlug)}/manage`;
}
