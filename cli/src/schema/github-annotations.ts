import type { SourceLocation } from "@weir/schema";

/** The severities GitHub Actions workflow commands know. */
export type AnnotationLevel = "error" | "warning" | "notice";

/**
 * One GitHub Actions workflow command (`::error file=…,line=…,col=…,title=…::message`), which GitHub shows
 * as an annotation on that line of the pull request. Values are escaped as the runner expects.
 */
export function githubAnnotation(
  level: AnnotationLevel,
  location: Partial<SourceLocation> | undefined,
  title: string,
  message: string,
): string {
  const props: string[] = [];
  if (location?.file) props.push(`file=${escapeProperty(location.file)}`);
  if (location?.line) props.push(`line=${location.line}`);
  if (location?.column) props.push(`col=${location.column}`);
  props.push(`title=${escapeProperty(title)}`);
  return `::${level} ${props.join(",")}::${escapeData(message)}`;
}

function escapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
