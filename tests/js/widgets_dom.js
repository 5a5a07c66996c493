/**
 * A minimal fake DOM for the widget tests: elements with attributes, classes, children,
 * textContent, simple selectors and events. `innerHTML` throws, so a widget that
 * parses data as HTML fails its tests.
 */

const SELECTOR = /^([a-z0-9-]*)((?:\.[\w-]+)*)((?:\[[\w-]+(?:="[^"]*")?\])*)$/i;

function parseSelector(selector) {
  const match = SELECTOR.exec(selector.trim());
  if (!match) throw new Error(`fake DOM: unsupported selector ${selector}`);
  const [, tag, classes, attrs] = match;
  return {
    tag: tag.toLowerCase(),
    classes: classes.split(".").filter(Boolean),
    attrs: [...attrs.matchAll(/\[([\w-]+)(?:="([^"]*)")?\]/g)].map(([, name, value]) => ({ name, value })),
  };
}

function matches(node, { tag, classes, attrs }) {
  if (tag && node.tagName.toLowerCase() !== tag) return false;
  if (classes.some((cls) => !node.classList.contains(cls))) return false;
  return attrs.every(({ name, value }) =>
    node.hasAttribute(name) && (value === undefined || node.getAttribute(name) === value));
}

class FakeText {
  constructor(text) {
    this.nodeType = 3;
    this.data = String(text);
    this.parentNode = null;
  }

  get textContent() {
    return this.data;
  }

  remove() {
    this.parentNode?._detach(this);
  }
}

class FakeClassList {
  constructor(element) {
    this.element = element;
  }

  _list() {
    return (this.element.getAttribute("class") ?? "").split(/\s+/).filter(Boolean);
  }

  _set(list) {
    this.element.setAttribute("class", [...new Set(list)].join(" "));
  }

  add(...names) {
    this._set([...this._list(), ...names]);
  }

  remove(...names) {
    this._set(this._list().filter((name) => !names.includes(name)));
  }

  contains(name) {
    return this._list().includes(name);
  }

  toggle(name, force) {
    const on = force ?? !this.contains(name);
    if (on) this.add(name);
    else this.remove(name);
    return on;
  }
}

export class FakeElement {
  constructor(tagName, ownerDocument) {
    this.nodeType = 1;
    this.tagName = tagName.toUpperCase();
    this.ownerDocument = ownerDocument;
    this.parentNode = null;
    this.childNodes = [];
    this.attributes = new Map();
    this.classList = new FakeClassList(this);
    this.listeners = new Map();
    this.value = "";
    this.offsetWidth = 0;
  }

  // Attributes

  setAttribute(name, value) {
    this.attributes.set(name, String(value));
  }

  getAttribute(name) {
    return this.attributes.has(name) ? this.attributes.get(name) : null;
  }

  hasAttribute(name) {
    return this.attributes.has(name);
  }

  removeAttribute(name) {
    this.attributes.delete(name);
  }

  get className() {
    return this.getAttribute("class") ?? "";
  }

  set className(value) {
    this.setAttribute("class", value);
  }

  get id() {
    return this.getAttribute("id") ?? "";
  }

  get hidden() {
    return this.hasAttribute("hidden");
  }

  set hidden(value) {
    if (value) this.setAttribute("hidden", "");
    else this.removeAttribute("hidden");
  }

  get title() {
    return this.getAttribute("title") ?? "";
  }

  // Tree

  get children() {
    return this.childNodes.filter((node) => node.nodeType === 1);
  }

  get firstElementChild() {
    return this.children[0] ?? null;
  }

  get lastElementChild() {
    return this.children.at(-1) ?? null;
  }

  _adopt(node) {
    const child = typeof node === "string" ? new FakeText(node) : node;
    child.parentNode?._detach(child);
    child.parentNode = this;
    return child;
  }

  _detach(node) {
    this.childNodes = this.childNodes.filter((child) => child !== node);
    node.parentNode = null;
  }

  appendChild(node) {
    this.append(node);
    return node;
  }

  append(...nodes) {
    for (const node of nodes) this.childNodes.push(this._adopt(node));
  }

  insertBefore(node, reference) {
    if (!reference) return this.appendChild(node);
    const adopted = this._adopt(node);
    this.childNodes.splice(this.childNodes.indexOf(reference), 0, adopted);
    return adopted;
  }

  prepend(...nodes) {
    this.childNodes.unshift(...nodes.map((node) => this._adopt(node)));
  }

  replaceChildren(...nodes) {
    for (const child of [...this.childNodes]) this._detach(child);
    this.append(...nodes);
  }

  remove() {
    this.parentNode?._detach(this);
  }

  contains(node) {
    for (let current = node; current; current = current.parentNode) {
      if (current === this) return true;
    }
    return false;
  }

  get textContent() {
    return this.childNodes.map((node) => node.textContent).join("");
  }

  set textContent(value) {
    this.replaceChildren();
    if (value !== "") this.append(String(value));
  }

  set innerHTML(_value) {
    throw new Error("fake DOM: innerHTML is not allowed in widgets");
  }

  get innerHTML() {
    throw new Error("fake DOM: innerHTML is not allowed in widgets");
  }

  // Queries (descendants only, document order)

  *_descendants() {
    for (const child of this.children) {
      yield child;
      yield* child._descendants();
    }
  }

  querySelectorAll(selector) {
    const parsed = parseSelector(selector);
    return [...this._descendants()].filter((node) => matches(node, parsed));
  }

  querySelector(selector) {
    return this.querySelectorAll(selector)[0] ?? null;
  }

  // Events

  addEventListener(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(fn);
  }

  removeEventListener(type, fn) {
    this.listeners.get(type)?.delete(fn);
  }

  /** Calls the listeners of `type` with a minimal event; returns the event. */
  dispatch(type, props = {}) {
    const event = { type, target: this, defaultPrevented: false,
      preventDefault() { this.defaultPrevented = true; }, ...props };
    for (const fn of [...(this.listeners.get(type) ?? [])]) fn(event);
    return event;
  }

  click() {
    return this.dispatch("click");
  }
}

export class FakeDocument {
  constructor() {
    this.body = new FakeElement("body", this);
  }

  createElement(tag) {
    return new FakeElement(tag, this);
  }

  /** SVG elements: the namespace is not modelled, the tag is what the tests query. */
  createElementNS(_namespace, tag) {
    return new FakeElement(tag, this);
  }

  querySelectorAll(selector) {
    return [this.body, ...this.body.querySelectorAll(selector)]
      .filter((node) => matches(node, parseSelector(selector)));
  }

  querySelector(selector) {
    return this.querySelectorAll(selector)[0] ?? null;
  }

  getElementById(id) {
    return this.body.querySelector(`[id="${id}"]`);
  }
}

/**
 * Builds elements from a small spec: `el(doc, "li", {class: "x", "data-a": 1}, child, "text")`.
 */
export function el(doc, tag, attrs = {}, ...children) {
  const node = doc.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child);
  return node;
}

/** A `<script type="application/json" data-rt-state>` holding `state`. */
export function stateScript(doc, state) {
  return el(doc, "script", { type: "application/json", "data-rt-state": "" }, JSON.stringify(state));
}
