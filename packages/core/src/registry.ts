// Known event types (bus.define, docs/core.md "Schemas, registry and guards"): optional schema and
// description per type.
import type { StandardSchemaV1 } from './schema.js'
import type { EventDefinition } from './types.js'
import { assertTopic } from './topic.js'

export class EventRegistry {
  readonly #defs = new Map<string, EventDefinition>()
  /** Only types with a schema; checked on every publish, so kept separate and small. */
  readonly schemas = new Map<string, StandardSchemaV1>()

  define(type: string, def: { schema?: StandardSchemaV1 | undefined; description?: string | undefined } = {}): void {
    assertTopic(type)
    const entry: EventDefinition = { type }
    if (def.description !== undefined) entry.description = def.description
    if (def.schema !== undefined) {
      if (typeof def.schema?.['~standard']?.validate !== 'function')
        throw new TypeError(`define("${type}"): schema must implement Standard Schema v1 (zod, valibot, arktype do)`)
      entry.schema = def.schema
      this.schemas.set(type, def.schema)
    } else {
      this.schemas.delete(type)
    }
    this.#defs.set(type, entry)
  }

  undefine(type: string): boolean {
    this.schemas.delete(type)
    return this.#defs.delete(type)
  }

  list(): EventDefinition[] {
    return [...this.#defs.values()].map((d) => ({ ...d }))
  }
}
