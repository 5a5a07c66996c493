/**
 * The few DOM operations the widgets use. Data only ever goes in through
 * `textContent` and attribute values, never through HTML parsing.
 * @module realtime/widgets/dom
 */

/**
 * Creates an element.
 * @param {Document} doc
 * @param {string} tag
 * @param {{className?: string, text?: unknown, attrs?: Record<string, unknown>}} [props]
 * @param {(Node|null|undefined|false)[]} [children] - falsy entries are skipped
 * @returns {HTMLElement}
 */
export function h(doc, tag, { className, text, attrs } = {}, children = []) {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value !== null && value !== undefined && value !== false) {
      node.setAttribute(name, String(value));
    }
  }
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const child of children) if (child) node.append(child);
  return node;
}

/**
 * A widget's named part: the first `[data-rt-part=name]` inside `root`.
 * @param {Element} root
 * @param {string} name
 * @returns {HTMLElement|null}
 */
export function part(root, name) {
  return root.querySelector(`[data-rt-part="${name}"]`);
}

/**
 * The JSON state the template tag wrote into `<script type="application/json" data-rt-state>`.
 * @param {Element} root
 * @returns {any} null when there is none or it does not parse
 */
export function readState(root) {
  const script = root.querySelector("script[data-rt-state]");
  if (!script) return null;
  try {
    return JSON.parse(script.textContent);
  } catch {
    return null;
  }
}

/**
 * Restarts a CSS animation class on an element (remove, reflow, add).
 * @param {HTMLElement} node
 * @param {string} className
 */
export function flash(node, className) {
  if (!node) return;
  node.classList.remove(className);
  void node.offsetWidth; // reflow, so re-adding the class restarts the animation
  node.classList.add(className);
}

/**
 * Puts `node` first in `list` and drops the last children beyond `max`.
 * @param {HTMLElement} list
 * @param {HTMLElement} node
 * @param {number} max
 * @returns {HTMLElement[]} the children dropped
 */
export function prependBounded(list, node, max) {
  list.prepend(node);
  const dropped = [];
  while (list.children.length > max) {
    const last = list.lastElementChild;
    last.remove();
    dropped.push(last);
  }
  return dropped;
}
