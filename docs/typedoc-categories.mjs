/**
 * TypeDoc plugin: every symbol core's entries export gets a category from the folder (or
 * file) it is declared in — Recipes, Engine, Journal, Lease, Topology, Errors, Drivers kit,
 * Testing, … — so core's pages list their symbols by what they are for (its README is the
 * "Guide"; the drivers' pages keep TypeDoc's kinds). An explicit
 * `@category` in a symbol's comment wins. A core symbol declared where no rule matches
 * is a warning (the docs build treats warnings as errors): add its folder below.
 */
import { Comment, CommentTag, Converter, ReflectionKind } from "typedoc";

const CORE = "/packages/core/src/";

/** `[path under packages/core/src/, category]`: the first prefix that matches wins. */
const RULES = [
  ["errors/", "Errors"],
  ["plan/", "Steps and plans"],
  ["ports/", "Ports"],
  ["runner/", "Engine"],
  ["journal/", "Journal"],
  ["lock/", "Lease"],
  ["shell/", "Shell and probe"],
  ["probe/", "Shell and probe"],
  ["fs/", "Shell and probe"],
  ["topology/", "Topology"],
  ["recipes/observe.ts", "Observe and decide"],
  ["recipes/decide.ts", "Observe and decide"],
  ["recipes/migration-caveat.ts", "Observe and decide"],
  ["recipes/post-incident.ts", "After the rollback"],
  ["recipes/incident-file-path.ts", "After the rollback"],
  ["metrics/", "After the rollback"],
  ["recipes/fleet-flip.ts", "Fleet"],
  ["recipes/clear-degraded.ts", "Fleet"],
  ["fleet/", "Fleet"],
  ["recipes/recipe.ts", "Recipe registry"],
  ["recipes/recipe-registry.ts", "Recipe registry"],
  ["recipes/recipe-input.ts", "Recipe registry"],
  ["recipes/drivers.ts", "Recipe registry"],
  ["recipes/plan-for-intent.ts", "Recipe registry"],
  ["recipes/traffic-switch-steps.ts", "Recipe steps"],
  ["recipes/stage-artifacts-step.ts", "Recipe steps"],
  ["recipes/start-color-step.ts", "Recipe steps"],
  ["recipes/converged-step.ts", "Recipe steps"],
  ["recipes/public-probe-step.ts", "Recipe steps"],
  ["recipes/", "Recipes"],
  ["presets/", "Veza preset"],
  ["driver-kit/", "Drivers kit"],
  ["validate/", "Validation"],
  ["testing/", "Testing"],
];

/** The category of a symbol declared in `file`; `null` outside core, `undefined` when no rule matches. */
function categoryOf(file) {
  const at = file.replaceAll("\\", "/").lastIndexOf(CORE);
  if (at === -1) return null;
  const path = file.slice(at + CORE.length);
  return RULES.find(([prefix]) => path.startsWith(prefix))?.[1];
}

const hasCategory = (reflection) =>
  [reflection.comment, ...(reflection.signatures ?? []).map((s) => s.comment)].some((c) =>
    c?.blockTags.some((t) => t.tag === "@category"),
  );

/** @param {import("typedoc").Application} app */
export function load(app) {
  /** @type {Map<number, string>} a module's direct child → the file it is declared in */
  const declaredIn = new Map();
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.parent?.kindOf(ReflectionKind.SomeModule)) return;
    const file = context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile().fileName;
    if (file) declaredIn.set(reflection.id, file);
  });
  // Before TypeDoc's own CategoryPlugin (priority -200) reads the tags.
  app.converter.on(
    Converter.EVENT_RESOLVE_END,
    (context) => {
      for (const reflection of Object.values(context.project.reflections)) {
        const module = reflection.parent;
        if (!module?.kindOf(ReflectionKind.SomeModule) || !module.name.startsWith("@backflip/core")) continue;
        if (reflection.isDocument()) {
          reflection.frontmatter.category ??= "Guide"; // the package README
          continue;
        }
        if (hasCategory(reflection)) continue;
        const target = reflection.kindOf(ReflectionKind.Reference)
          ? reflection.tryGetTargetReflectionDeep()
          : reflection;
        const file = target && declaredIn.get(target.id);
        if (file === undefined) continue;
        const category = categoryOf(file);
        if (category === null) continue;
        if (category === undefined) {
          app.logger.warn(
            `${reflection.getFriendlyFullName()} (${file}) has no category: tag it @category or add its folder to docs/typedoc-categories.mjs`,
          );
          continue;
        }
        reflection.comment ??= new Comment();
        reflection.comment.blockTags.push(new CommentTag("@category", [{ kind: "text", text: category }]));
      }
    },
    100,
  );
}
