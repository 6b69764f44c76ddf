// Fixture → Model, with cross-reference checks (pure; time is passed in).
import { FixtureError, validateFixture } from './fixture.js';
import { Model } from './model.js';
import { parsePermission } from './permissions.js';
import { addFixtureToken } from './tokens.js';
import type { Fixture } from './types.js';

/** Bitbucket-like user slug: lowercased, characters outside [a-z0-9._-] become `_`. */
export function slugify(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9._-]/g, '_');
}

/** Builds the model; throws FixtureError with a clear message on any problem. */
export function buildModel(raw: unknown, now: number): Model {
  const fixture: Fixture = validateFixture(raw);
  const model = new Model();
  for (const [i, u] of (fixture.users ?? []).entries()) {
    const slug = (u.slug ?? slugify(u.name)).toLowerCase();
    if (model.userByName(u.name) || model.userBySlug(slug))
      throw new FixtureError(`users[${i}]: duplicate user "${u.name}"`);
    const type = u.type ?? 'NORMAL';
    if (type === 'SERVICE' && u.email !== undefined)
      throw new FixtureError(`users[${i}].email: SERVICE users have no email`);
    const user = model.addUser({
      name: u.name,
      slug,
      displayName: u.displayName ?? u.name,
      email: type === 'SERVICE' ? undefined : u.email,
      password: u.password,
      admin: u.admin ?? false,
      type,
    });
    if (type === 'NORMAL') {
      model.addProject({
        key: `~${slug.toUpperCase()}`,
        name: user.displayName,
        type: 'PERSONAL',
        owner: user,
        public: false,
      });
    }
  }
  for (const [i, p] of (fixture.projects ?? []).entries()) {
    if (p.key.startsWith('~'))
      throw new FixtureError(`projects[${i}].key: personal projects (~SLUG) exist for each user already`);
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(p.key))
      throw new FixtureError(`projects[${i}].key: must be letters, digits or _ and start with a letter`);
    if (model.project(p.key)) throw new FixtureError(`projects[${i}]: duplicate project "${p.key}"`);
    model.addProject({ key: p.key.toUpperCase(), name: p.name ?? p.key, type: 'NORMAL', public: p.public ?? false });
  }
  for (const [i, r] of (fixture.repos ?? []).entries()) {
    const project = model.project(r.project);
    if (!project) throw new FixtureError(`repos[${i}].project: unknown project "${r.project}"`);
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(r.slug))
      throw new FixtureError(`repos[${i}].slug: must be lowercase letters, digits, . _ -`);
    if (model.repo(project.key, r.slug))
      throw new FixtureError(`repos[${i}]: duplicate repository "${r.project}/${r.slug}"`);
    model.addRepo({ slug: r.slug, name: r.name ?? r.slug, project, public: r.public ?? false, seed: r.seed ?? false });
  }
  for (const [i, g] of (fixture.permissions ?? []).entries()) {
    const where = `permissions[${i}]`;
    const user = model.userByName(g.user) ?? model.userBySlug(g.user);
    if (!user) throw new FixtureError(`${where}.user: unknown user "${g.user}"`);
    const project = model.project(g.project);
    if (!project) throw new FixtureError(`${where}.project: unknown project "${g.project}"`);
    const perm = parsePermission(g.permission);
    if (!perm) throw new FixtureError(`${where}.permission: unknown permission`);
    if (g.repo === undefined) {
      if (perm.scope !== 'PROJECT')
        throw new FixtureError(`${where}.permission: a project grant needs PROJECT_x (or give "repo")`);
      model.grant(user, project, perm.level);
    } else {
      const repo = model.repo(project.key, g.repo);
      if (!repo) throw new FixtureError(`${where}.repo: unknown repository "${g.project}/${g.repo}"`);
      if (perm.scope !== 'REPO') throw new FixtureError(`${where}.permission: a repository grant needs REPO_x`);
      model.grant(user, repo, perm.level);
    }
  }
  for (const t of fixture.tokens ?? []) addFixtureToken(model, t, now);
  return model;
}
