/**
 * Which compatibility mode a subject's registrations are checked under (its own, else the global one,
 * else the registry's default), and the check of a new schema against the versions that mode compares with.
 */
import { modeRule, type CompatibilityMode, type CompatibilityResult } from "../compatibility-mode.js";
import { assertMode } from "./registry-arguments.js";
import type { RegistryKeys, VersionRecord } from "./registry-keys.js";
import type { CompiledSchema, RegistryStorage } from "./registry-types.js";
import { checkSubjectCompatibility } from "./subject-compatibility.js";

/** The modes of a registry and its compatibility check. */
export class CompatibilityPolicy {
  /**
   * @param compiledSchema compiles a stored schema by id (only the versions the mode compares with are
   * compiled: a Protobuf compile runs buf)
   */
  constructor(
    private readonly storage: RegistryStorage,
    private readonly keys: RegistryKeys,
    private readonly defaultMode: CompatibilityMode,
    private readonly compiledSchema: (id: number) => Promise<CompiledSchema>,
  ) {
    assertMode(defaultMode);
  }

  /** The global mode: the one set with `setMode(undefined, mode)`, else the default. */
  async globalMode(): Promise<CompatibilityMode> {
    return (await this.storage.get<{ mode: CompatibilityMode }>(this.keys.config))?.mode ?? this.defaultMode;
  }

  /** The subject's own mode, if it has one. */
  async ownMode(subject: string): Promise<CompatibilityMode | undefined> {
    return (await this.storage.get<{ mode: CompatibilityMode }>(this.keys.mode(subject)))?.mode;
  }

  /** The mode a subject's registrations are checked under: its own, else the global default. */
  async effectiveMode(subject: string): Promise<CompatibilityMode> {
    return (await this.ownMode(subject)) ?? (await this.globalMode());
  }

  /** Checks `compiled` under `mode` against the live ones of `versions` that the mode compares with. */
  async checkAgainst(
    mode: CompatibilityMode,
    compiled: CompiledSchema,
    versions: readonly VersionRecord[],
  ): Promise<CompatibilityResult> {
    const { directions, transitive } = modeRule(mode);
    const live = versions.filter((v) => !v.deleted);
    const against = directions.length === 0 ? [] : transitive ? live : live.slice(-1);
    return checkSubjectCompatibility(
      mode,
      compiled,
      await Promise.all(
        against.map(async (v) => ({ version: v.version, schema: await this.compiledSchema(v.id) })),
      ),
    );
  }
}
