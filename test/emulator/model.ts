// The in-memory model: users, projects, repositories, grants and tokens, with the effective
// permission rules of docs/bitbucket-server.md sections 4, 5 and 7. Pure: no IO, time is passed in.
import { tokenProjectCeiling, tokenRepoCeiling, type Level } from './permissions.js';
import type { Permission } from './types.js';

/** A user; SERVICE users include the system-generated users of project/repository tokens. */
export interface User {
  id: number;
  name: string;
  slug: string;
  displayName: string;
  email?: string;
  password?: string;
  admin: boolean;
  type: 'NORMAL' | 'SERVICE';
}

/** A project; PERSONAL ones have key `~SLUG` and an owner. */
export interface Project {
  id: number;
  key: string;
  name: string;
  type: 'NORMAL' | 'PERSONAL';
  owner?: User;
  public: boolean;
}

/** A repository of a project. */
export interface Repo {
  id: number;
  slug: string;
  name: string;
  project: Project;
  public: boolean;
  seed: boolean;
}

/** Who a token belongs to. */
export type TokenScope = { kind: 'user' } | { kind: 'project'; project: Project } | { kind: 'repo'; repo: Repo };

/** An access token. `user` is the owner (personal) or the token's own SERVICE user. */
export interface Token {
  id: string;
  name: string;
  raw: string;
  permissions: Permission[];
  scope: TokenScope;
  user: User;
  createdDate: number;
  expiryDays?: number;
  expiresAt?: number;
  lastAuthenticated?: number;
  revoked: boolean;
}

/** Who is acting: a user, possibly through a token. Undefined principal = anonymous. */
export interface Principal {
  user: User;
  via: 'password' | 'token';
  token?: Token;
}

/** True when the token may authenticate at `now`. */
export function tokenUsable(t: Token, now: number): boolean {
  return !t.revoked && (t.expiresAt === undefined || t.expiresAt > now);
}

/** The model. Mutated only through its methods. */
export class Model {
  readonly users: User[] = [];
  readonly projects: Project[] = [];
  readonly repos: Repo[] = [];
  readonly tokens: Token[] = [];
  private readonly projectGrants = new Map<string, Level>(); // `${userId}/${projectId}`
  private readonly repoGrants = new Map<string, Level>(); // `${userId}/${repoId}`
  private nextId = { user: 101, project: 1, repo: 1 };

  addUser(u: Omit<User, 'id'>): User {
    const user = { ...u, id: this.nextId.user++ };
    this.users.push(user);
    return user;
  }

  addProject(p: Omit<Project, 'id'>): Project {
    const project = { ...p, id: this.nextId.project++ };
    this.projects.push(project);
    return project;
  }

  addRepo(r: Omit<Repo, 'id'>): Repo {
    const repo = { ...r, id: this.nextId.repo++ };
    this.repos.push(repo);
    return repo;
  }

  /** Raises (never lowers) a user's grant on a project or one of its repositories. */
  grant(user: User, target: Project | Repo, level: Level): void {
    const isRepo = 'slug' in target;
    const map = isRepo ? this.repoGrants : this.projectGrants;
    const key = `${user.id}/${target.id}`;
    map.set(key, Math.max(map.get(key) ?? 0, level) as Level);
  }

  userByName(name: string): User | undefined {
    const lower = name.toLowerCase();
    return this.users.find((u) => u.name.toLowerCase() === lower);
  }

  userBySlug(slug: string): User | undefined {
    const lower = slug.toLowerCase();
    return this.users.find((u) => u.slug === lower || u.slug === slug);
  }

  /** Project by key, case-insensitively (`~alice` finds `~ALICE`). */
  project(key: string): Project | undefined {
    const upper = key.toUpperCase();
    return this.projects.find((p) => p.key === upper);
  }

  /** Repository by project key and slug, both case-insensitive. */
  repo(projectKey: string, slug: string): Repo | undefined {
    const project = this.project(projectKey);
    const lower = slug.toLowerCase();
    return project && this.repos.find((r) => r.project === project && r.slug.toLowerCase() === lower);
  }

  tokenByRaw(raw: string): Token | undefined {
    return this.tokens.find((t) => t.raw === raw);
  }

  tokenById(id: string): Token | undefined {
    return this.tokens.find((t) => t.id === id);
  }

  /** Live (not revoked) tokens of one owner, in creation order. */
  tokensOf(scope: TokenScope, user?: User): Token[] {
    return this.tokens.filter((t) => !t.revoked && sameScope(t, scope, user));
  }

  /** A user's own level on a project: global admin, personal owner, or grant. */
  userProjectLevel(user: User, project: Project): Level {
    if (user.admin || project.owner === user) return 3;
    return this.projectGrants.get(`${user.id}/${project.id}`) ?? 0;
  }

  /** A user's own level on a repository: max(project grant, repo grant, public → read). */
  userRepoLevel(user: User | undefined, repo: Repo): Level {
    const publicLevel: Level = repo.public || repo.project.public ? 1 : 0;
    if (!user) return publicLevel;
    const repoGrant = this.repoGrants.get(`${user.id}/${repo.id}`) ?? 0;
    return Math.max(publicLevel, this.userProjectLevel(user, repo.project), repoGrant) as Level;
  }

  /** Effective level on a repository: for a token, min(user's rights, token ceiling). */
  repoLevel(principal: Principal | undefined, repo: Repo): Level {
    const own = this.userRepoLevel(principal?.user, repo);
    if (!principal?.token) return own;
    const publicLevel: Level = repo.public || repo.project.public ? 1 : 0;
    return Math.max(publicLevel, Math.min(own, tokenRepoCeiling(principal.token.permissions))) as Level;
  }

  /** Effective level on a project: for a token, min(user's rights, PROJECT_x ceiling). */
  projectLevel(principal: Principal | undefined, project: Project): Level {
    if (!principal) return 0;
    const own = this.userProjectLevel(principal.user, project);
    return principal.token ? (Math.min(own, tokenProjectCeiling(principal.token.permissions)) as Level) : own;
  }
}

function sameScope(t: Token, scope: TokenScope, user?: User): boolean {
  switch (scope.kind) {
    case 'user':
      return t.scope.kind === 'user' && t.user === user;
    case 'project':
      return t.scope.kind === 'project' && t.scope.project === scope.project;
    case 'repo':
      return t.scope.kind === 'repo' && t.scope.repo === scope.repo;
  }
}
