/** strings.render_template over the Go text/template subset in go-template.ts. */
import { BuiltinEvalError } from './errors';
import { renderTemplate, TemplateError } from './go-template';
import { obj, str } from './operands';
import type { HostBuiltin } from './types';

const NAME = 'strings.render_template';

const render: HostBuiltin = (template, vars) => {
  const src = str(NAME, template, 1);
  const data = obj(NAME, vars, 2);
  try {
    return renderTemplate(src, data);
  } catch (e) {
    if (e instanceof TemplateError) throw new BuiltinEvalError(NAME, e.message);
    throw e;
  }
};

export const templateBuiltins: Record<string, HostBuiltin> = { [NAME]: render };
