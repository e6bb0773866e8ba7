import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { LineCounter, parseAllDocuments, type Document } from "yaml";
import type { LoadedResource } from "@weir/controller";
import { pointerPosition } from "@weir/controller/internal";
import type { SourceLocation } from "@weir/schema";

/** Finds where a JSON pointer of a loaded resource's document is in the config files of a directory. */
export interface YamlLocator {
  /** The file, line and column of `pointer` in `resource`'s document (the document's start when not found). */
  at(resource: LoadedResource, pointer: string): Promise<SourceLocation>;
}

/**
 * A {@link YamlLocator} over the files of config directory `dir` (as the loader read them): each file is
 * parsed once, and a resource's document is the one starting where the loader says it starts.
 */
export function createYamlLocator(dir: string): YamlLocator {
  const files = new Map<string, Promise<{ docs: Document.Parsed[]; lineCounter: LineCounter }>>();
  const parsed = (file: string) => {
    let p = files.get(file);
    if (!p) {
      p = readFile(join(dir, file), "utf8").then((text) => {
        const lineCounter = new LineCounter();
        return { docs: parseAllDocuments(text, { lineCounter }) as Document.Parsed[], lineCounter };
      });
      files.set(file, p);
    }
    return p;
  };
  return {
    async at(resource, pointer) {
      const { file, line, column } = resource.location;
      const { docs, lineCounter } = await parsed(file);
      const doc = docs.find((d) => {
        if (!d.contents) return false;
        const at = lineCounter.linePos(d.contents.range[0]);
        return at.line === line && at.col === column;
      });
      if (!doc) return { file, line, column };
      return { file, ...pointerPosition(doc.contents, pointer, lineCounter) };
    },
  };
}
