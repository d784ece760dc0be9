// The CHANGELOG lines `changeset version` writes (config.json "changelog": "./changelog.cjs").
// As @changesets/cli's default generator, but without commit hashes (the summary is the line)
// and with internal dependency bumps on one line, left out where a dependency is released for
// the first time (its new version is all there is to say, and every package's first release
// already depends on the others' first releases).
/** @type {import('@changesets/types').ChangelogFunctions} */
module.exports = {
  async getReleaseLine(changeset) {
    const [first, ...rest] = changeset.summary.split('\n').map((l) => l.trimEnd());
    return [`- ${first}`, ...rest.map((l) => (l ? `  ${l}` : l))].join('\n');
  },
  async getDependencyReleaseLine(_changesets, dependenciesUpdated) {
    const updated = dependenciesUpdated.filter((d) => d.oldVersion !== '0.0.0');
    if (updated.length === 0) return '';
    return `- Updated dependencies: ${updated.map((d) => `${d.name}@${d.newVersion}`).join(', ')}`;
  },
};
