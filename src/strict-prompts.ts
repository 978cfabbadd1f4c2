import { styleText } from "node:util";
import { readChoice, readPicks, readYesNo, type Typed } from "./typed-answers.js";

/**
 * inquirer's closed-choice prompts (confirm, list, checkbox), each refusing a
 * typed answer outside its choices and asking again with the line that says
 * what is allowed (typed-answers.ts), where inquirer's own took it for the
 * default or ignored it. They extend inquirer's classes, taken from the prompt
 * module node-plop runs (so one inquirer, and no import of its internals), and
 * change only how the typed line is read: the keys and the look stay inquirer's.
 */

/** The parts of an inquirer prompt (inquirer/lib/prompts/base.js) these classes use; inquirer ships no types for them. */
interface Prompt {
  opt: { default?: unknown; choices: { realChoices: { value: unknown; checked?: boolean }[] }; validate: (value: unknown, answers: unknown) => unknown };
  rl: { line: string; history?: string[]; input: NodeJS.EventEmitter; on(event: "line", f: (line: string) => void): void; removeListener(event: "line", f: (line: string) => void): void };
  screen: { render(content: string, bottom?: string): void; done(): void };
  status: string;
  selected: number;
  done: (value: unknown) => void;
  render(...args: unknown[]): unknown;
  onUpKey(): void;
  onDownKey(): void;
  onNumberKey(n: number): void;
  onSubmit(value: unknown): void;
  getCurrentValue(...args: unknown[]): unknown;
}
type PromptClass = new (question: unknown, rl: unknown, answers: unknown) => Prompt;
type Key = { name?: string; ctrl?: boolean };

/** The closed-choice types inquirer registers, and the names their strict versions are registered under. */
export const STRICT_TYPES: Record<string, string> = { confirm: "strict-confirm", list: "strict-list", checkbox: "strict-checkbox" };

/** Registers the strict prompts on node-plop's inquirer (plop.setPrompt), from the classes it registered itself. */
export function strictPrompts(builtIn: Record<string, PromptClass>): Record<string, PromptClass> {
  return {
    [STRICT_TYPES.confirm!]: strictConfirm(builtIn.confirm!),
    [STRICT_TYPES.list!]: strictList(builtIn.list!),
    [STRICT_TYPES.checkbox!]: strictCheckbox(builtIn.checkbox!),
  };
}

/**
 * Shows `refusal()` under the question on every render, as inquirer's input prompt shows a
 * failed validation. Also empties the shared readline's history: an arrow key would otherwise
 * put an earlier answer (the project's name) on the line, to be read as this one's.
 */
function withRefusal(prompt: Prompt, refusal: () => string | undefined): void {
  const render = prompt.screen.render.bind(prompt.screen);
  prompt.screen.render = (content, bottom) => {
    const why = refusal();
    render(content, bottom || (why ? `${styleText("red", ">>")} ${why}` : ""));
  };
  if (Array.isArray(prompt.rl.history)) prompt.rl.history.length = 0;
}

/** Listens to the line and to keypresses until the answer is taken; returns the function that stops both. */
function listen(prompt: Prompt, onLine: (line: string) => void, onKey: (value: string | undefined, key: Key) => void): () => void {
  const key = (value: string | undefined, k?: Key) => {
    const pressed = k ?? {};
    if (pressed.name !== "enter" && pressed.name !== "return") onKey(value, pressed);
  };
  prompt.rl.on("line", onLine);
  prompt.rl.input.on("keypress", key);
  return () => {
    prompt.rl.removeListener("line", onLine);
    prompt.rl.input.removeListener("keypress", key);
  };
}

function strictConfirm(Base: PromptClass): PromptClass {
  return class StrictConfirm extends Base {
    refusal: string | undefined;
    _run(cb: (value: unknown) => void) {
      this.done = cb;
      // inquirer's confirm turns its boolean default into this hint (confirm.js).
      const fallback = this.opt.default === "Y/n";
      withRefusal(this, () => this.refusal);
      const stop = listen(
        this,
        (line) => this.take(readYesNo(line, fallback), (answer) => {
          stop();
          // Answered: the refusal goes with the question's last render.
          this.refusal = undefined;
          this.status = "answered";
          this.render(answer);
          this.screen.done();
          this.done(answer);
        }),
        () => this.render(),
      );
      this.render();
      return this;
    }
    take<T>(typed: Typed<T>, then: (answer: T) => void) {
      if ("refused" in typed) {
        this.refusal = typed.refused;
        this.render();
      } else then(typed.answer);
    }
  };
}

function strictList(Base: PromptClass): PromptClass {
  return class StrictList extends Base {
    refusal: string | undefined;
    _run(cb: (value: unknown) => void) {
      this.done = cb;
      const values = this.opt.choices.realChoices.map((c) => String(c.value));
      withRefusal(this, () => this.refusal);
      // The keys inquirer's list moves by (inquirer/lib/utils/events.js).
      const stop = listen(
        this,
        (line) => {
          const typed = readChoice(line, values, this.selected);
          if ("refused" in typed) {
            this.refusal = typed.refused;
            this.render();
            return;
          }
          stop();
          this.refusal = undefined;
          this.selected = typed.answer;
          this.onSubmit(this.opt.choices.realChoices[typed.answer]!.value);
        },
        (value, key) => {
          if (key.name === "up" || key.name === "k" || (key.name === "p" && key.ctrl)) this.onUpKey();
          else if (key.name === "down" || key.name === "j" || (key.name === "n" && key.ctrl)) this.onDownKey();
          else if (value && /^[1-9]$/.test(value)) this.onNumberKey(Number(value));
        },
      );
      this.render();
      return this;
    }
  };
}

function strictCheckbox(Base: PromptClass): PromptClass {
  return class StrictCheckbox extends Base {
    typed: Typed<string[] | undefined> | undefined;
    constructor(question: unknown, rl: unknown, answers: unknown) {
      super(question, rl, answers);
      withRefusal(this, () => undefined);
      // inquirer's checkbox reads the picks (getCurrentValue), then validates them: a refused line fails that validation.
      const validate = this.opt.validate;
      this.opt.validate = (value, all) => (this.typed && "refused" in this.typed ? this.typed.refused : validate(value, all));
    }
    override getCurrentValue(line?: unknown) {
      const choices = this.opt.choices.realChoices;
      this.typed = readPicks(typeof line === "string" ? line : "", choices.map((c) => String(c.value)));
      const picks = "answer" in this.typed ? this.typed.answer : undefined;
      if (picks) for (const c of choices) c.checked = picks.includes(String(c.value));
      return super.getCurrentValue();
    }
  };
}
