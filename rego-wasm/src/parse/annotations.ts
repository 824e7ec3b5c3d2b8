/**
 * METADATA annotations (OPA's `parseAnnotations` / `metadataParser` in `v1/ast/parser.go` and
 * `attachAnnotationsNodes` in `v1/ast/annotations.go`): a comment `# METADATA` followed by
 * comment lines starting in column 1 on the next rows is a YAML block; it applies to the
 * first package, import or rule statement below it. YAML is read with the `yaml` package.
 */
import { parseDocument, isMap, isSeq, isScalar, type Node as YamlNode } from 'yaml';
import type { Annotations, AnnotationScope, Comment, JsonValue, Location } from './ast';

/** A parse problem (becomes a `rego_parse_error` at `loc`). */
export interface AnnotationProblem {
  message: string;
  loc: Location;
}

/** A parsed block before it is attached: `scope` is '' when the block does not name one. */
export interface AnnotationBlock {
  annotations: Omit<Annotations, 'scope'> & { scope: string };
  /** Row of the block's last comment line. */
  endRow: number;
}

const SCOPES: readonly AnnotationScope[] = ['rule', 'document', 'package', 'subpackages'];

/** Groups `# METADATA` comment blocks and parses their YAML. */
export function parseAnnotationBlocks(comments: readonly Comment[]): { blocks: AnnotationBlock[]; problems: AnnotationProblem[] } {
  const groups: Comment[][] = [];
  let curr: Comment[] | null = null;
  comments.forEach((c, i) => {
    if (curr) {
      const prev = comments[i - 1]!;
      if (c.location.row === prev.location.row + 1 && c.location.col === 1) {
        curr.push(c);
        return;
      }
      curr = null;
    }
    if (c.text.trim().startsWith('METADATA')) {
      curr = [c];
      groups.push(curr);
    }
  });
  const blocks: AnnotationBlock[] = [];
  const problems: AnnotationProblem[] = [];
  for (const g of groups) {
    const r = parseBlock(g);
    if ('message' in r) problems.push(r);
    else blocks.push(r);
  }
  return { blocks, problems };
}

class UnmarshalError extends Error {}

function yamlTag(n: YamlNode | null | undefined): string {
  if (isMap(n)) return '!!map';
  if (isSeq(n)) return '!!seq';
  if (isScalar(n)) {
    const v = n.value;
    if (v === null) return '!!null';
    if (typeof v === 'boolean') return '!!bool';
    if (typeof v === 'number') return Number.isInteger(v) ? '!!int' : '!!float';
    return '!!str';
  }
  return '!!null';
}

function parseBlock(group: Comment[]): AnnotationBlock | AnnotationProblem {
  const first = group[0]!;
  const lines = group.slice(1);
  // OPA: each comment's text without one leading space, joined by newlines
  const text = lines.map((c) => (c.text.startsWith(' ') ? c.text.slice(1) : c.text)).join('\n');
  const loc: Location = { ...first.location, text: ['# METADATA', ...lines.map((c) => `# ${c.text.startsWith(' ') ? c.text.slice(1) : c.text}`)].join('\n') };
  if (text.trim() === '') return { message: 'expected METADATA block, found whitespace', loc: first.location };
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const lineLoc = (line: number | undefined): Location => {
    const c = line === undefined ? undefined : lines[line - 1];
    return c ? c.location : first.location;
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = text.slice(0, e.pos[0]).split('\n').length;
    return { message: `yaml: line ${line}: ${e.message.split('\n')[0]}`, loc: lineLoc(line) };
  }
  const lineOf = (n: YamlNode | null | undefined): number => {
    const offset = n?.range?.[0] ?? 0;
    return text.slice(0, offset).split('\n').length;
  };
  const unmarshal = (n: YamlNode | null | undefined, into: string): never => {
    const shown = isScalar(n) ? ` \`${String(n.value)}\`` : '';
    throw new UnmarshalError(`yaml: unmarshal errors:\n  line ${lineOf(n)}: cannot unmarshal ${yamlTag(n)}${shown} into ${into}`);
  };
  const str = (n: YamlNode | null | undefined): string => {
    if (!isScalar(n)) return unmarshal(n, 'string');
    return n.value === null ? '' : String(n.value);
  };
  const root = doc.contents;
  const out: AnnotationBlock['annotations'] = { scope: '', location: loc };
  try {
    if (root === null || (isScalar(root) && root.value === null)) return { annotations: out, endRow: group[group.length - 1]!.location.row };
    if (!isMap(root)) unmarshal(root, 'ast.rawAnnotation');
    for (const pair of (root as { items: { key: unknown; value: YamlNode | null }[] }).items) {
      const key = isScalar(pair.key as YamlNode) ? String((pair.key as { value: unknown }).value) : '';
      const v = pair.value;
      switch (key) {
        case 'scope':
          out.scope = str(v);
          break;
        case 'title':
          if (str(v) !== '') out.title = str(v);
          break;
        case 'description':
          if (str(v) !== '') out.description = str(v);
          break;
        case 'entrypoint':
          if (isScalar(v) && typeof v.value === 'boolean') out.entrypoint = v.value || undefined;
          else if (!(isScalar(v) && v.value === null)) unmarshal(v, 'bool');
          if (!out.entrypoint) delete out.entrypoint;
          break;
        case 'organizations': {
          if (isScalar(v) && v.value === null) break;
          if (!isSeq(v)) unmarshal(v, '[]string');
          const orgs = (v as { items: YamlNode[] }).items.map(str);
          if (orgs.length > 0) out.organizations = orgs;
          break;
        }
        case 'related_resources': {
          if (isScalar(v) && v.value === null) break;
          if (!isSeq(v)) unmarshal(v, '[]interface {}');
          const rrs = (v as { items: YamlNode[] }).items.map((item) => relatedResource(item));
          if (rrs.length > 0) out.related_resources = rrs;
          break;
        }
        case 'authors': {
          if (isScalar(v) && v.value === null) break;
          if (!isSeq(v)) unmarshal(v, '[]interface {}');
          const as = (v as { items: YamlNode[] }).items.map((item) => author(item));
          if (as.length > 0) out.authors = as;
          break;
        }
        case 'schemas': {
          if (isScalar(v) && v.value === null) break;
          if (!isSeq(v)) unmarshal(v, '[]map[string]interface {}');
          out.schemas = (v as { items: YamlNode[] }).items.map((item) => {
            if (!isMap(item)) return unmarshal(item, 'map[string]interface {}');
            return item.toJSON() as { [key: string]: JsonValue };
          });
          break;
        }
        case 'custom': {
          if (isScalar(v) && v.value === null) break;
          if (!isMap(v)) unmarshal(v, 'map[string]interface {}');
          const c = toJsonValue(v!.toJSON());
          if (c && typeof c === 'object' && !Array.isArray(c) && Object.keys(c).length > 0) out.custom = c;
          break;
        }
        default:
          // OPA's YAML decoding ignores unknown keys (and `compile`, which only partial
          // evaluation reads).
          break;
      }
    }
  } catch (e) {
    if (e instanceof UnmarshalError) return { message: e.message, loc: first.location };
    if (e instanceof AnnotationValueError) return { message: e.message, loc: first.location };
    throw e;
  }
  return { annotations: out, endRow: group[group.length - 1]!.location.row };
}

class AnnotationValueError extends Error {}

/** YAML → JSON value: map keys must be strings (OPA: `invalid map key type(s)`). */
function toJsonValue(x: unknown): JsonValue {
  if (x === null || x === undefined) return null;
  if (typeof x === 'string' || typeof x === 'boolean') return x;
  if (typeof x === 'number') return x;
  if (Array.isArray(x)) return x.map(toJsonValue);
  if (x instanceof Date) return x.toISOString();
  if (typeof x === 'object') {
    const o: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) o[k] = toJsonValue(v);
    return o;
  }
  return String(x);
}

function describe(n: YamlNode | null | undefined): string {
  const v = isScalar(n) ? n.value : n ? (n as { toJSON(): unknown }).toJSON() : null;
  if (v !== null && typeof v === 'object') {
    // Go prints maps as map[k:v]
    if (Array.isArray(v)) return `[${v.join(' ')}]`;
    return `map[${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}:${String(x)}`).join(' ')}]`;
  }
  return String(v);
}

/** Go's url.Parse accepts almost anything; OPA rejects only empty refs. */
function relatedResource(n: YamlNode): { ref: string; description?: string } {
  const fail = (reason: string): never => {
    throw new AnnotationValueError(`invalid related-resource definition ${describe(n)}: ${reason}`);
  };
  if (isScalar(n) && typeof n.value === 'string') {
    if (n.value === '') fail('ref URL may not be empty string');
    return { ref: checkedUrl(n.value, fail) };
  }
  if (isMap(n)) {
    const o = n.toJSON() as Record<string, unknown>;
    const ref = typeof o.ref === 'string' ? o.ref.trim() : '';
    const description = typeof o.description === 'string' ? o.description.trim() : '';
    if (ref === '') fail("'ref' value required in object");
    return description ? { ref: checkedUrl(ref, fail), description } : { ref: checkedUrl(ref, fail) };
  }
  return fail('invalid value type, must be string or map');
}

function checkedUrl(s: string, fail: (reason: string) => never): string {
  // Go's url.Parse: control characters and a malformed %-escape are errors
  if (/[\u0000-\u001f\u007f]/.test(s)) fail(`parse "${s}": net/url: invalid control character in URL`);
  const bad = /%(?![0-9a-fA-F]{2})/.exec(s);
  if (bad) fail(`parse "${s}": invalid URL escape "${s.slice(bad.index, bad.index + 3)}"`);
  return s;
}

function author(n: YamlNode): { name?: string; email?: string } {
  const fail = (reason: string): never => {
    throw new AnnotationValueError(`invalid author definition ${describe(n)}: ${reason}`);
  };
  if (isScalar(n) && typeof n.value === 'string') {
    const parts = n.value.split(/\s+/).filter((p) => p !== '');
    if (parts.length === 0) fail('author is an empty string');
    let email = '';
    const last = parts[parts.length - 1]!;
    if (last.length >= 2 && last.startsWith('<') && last.endsWith('>')) {
      email = last.slice(1, -1);
      parts.pop();
    }
    const name = parts.join(' ');
    return { ...(name ? { name } : {}), ...(email ? { email } : {}) };
  }
  if (isMap(n)) {
    const o = n.toJSON() as Record<string, unknown>;
    const name = typeof o.name === 'string' ? o.name.trim() : '';
    const email = typeof o.email === 'string' ? o.email.trim() : '';
    if (!name && !email) fail("'name' and/or 'email' values required in object");
    return { ...(name ? { name } : {}), ...(email ? { email } : {}) };
  }
  return fail('invalid value type, must be string or map');
}

/** OPA's validateAnnotationScopeAttachment / validateAnnotationEntrypointAttachment. */
export function validateAttachment(scope: string, entrypoint: boolean, node: 'package' | 'rule' | 'import' | null, loc: Location): AnnotationProblem[] {
  const problems: AnnotationProblem[] = [];
  const have = node ? ` (have ${node})` : '';
  if (scope === 'rule' || scope === 'document') {
    if (node !== 'rule') problems.push({ message: `annotation scope '${scope}' must be applied to rule${have}`, loc });
  } else if (scope === 'package' || scope === 'subpackages') {
    if (node !== 'package') problems.push({ message: `annotation scope '${scope}' must be applied to package${have}`, loc });
  } else {
    problems.push({
      message: `invalid annotation scope '${scope}'. Use one of '${SCOPES[0]}', '${SCOPES[1]}', '${SCOPES[2]}', or '${SCOPES[3]}'`,
      loc,
    });
  }
  if (entrypoint && scope !== 'document' && scope !== 'package') {
    problems.push({ message: `annotation entrypoint applied to non-document or package scope '${scope}'`, loc });
  }
  return problems;
}

export function isAnnotationScope(s: string): s is AnnotationScope {
  return (SCOPES as readonly string[]).includes(s);
}
