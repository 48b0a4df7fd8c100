/** A CI file as YAML: the object as `yaml` writes it, under a comment saying where it came from. */
import { Document } from "yaml";

export function yamlFile(content: object, header: string): string {
  const doc = new Document(content);
  doc.commentBefore = ` ${header.split("\n").join("\n ")}`;
  // No line folding: a long shell command stays one line, as the engine runs it.
  return doc.toString({ lineWidth: 0 });
}
