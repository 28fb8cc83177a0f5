// "Add a trial": parameters chosen by hand, queued before the tuner's next suggestions.
import { manager, errorText } from "../api";
import { Distribution, type Experiment, type ParameterValue } from "../gen/dlkit/v1/types_pb";
import { h } from "../format";

export function addTrialForm(experimentId: string, e: Experiment): HTMLElement {
  const params = e.spec?.searchSpace?.parameters ?? [];
  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const fields = params.map((p) => {
    let input: HTMLInputElement | HTMLSelectElement;
    if (p.distribution === Distribution.CHOICE) {
      input = h("select", { name: p.name }, p.options.map((o, i) => h("option", { value: String(i) },
        o.kind.case === "nested" ? o.kind.value.name : String(o.kind.value))));
    } else {
      input = h("input", { name: p.name, type: "number", step: "any", value: p.args.length >= 2 ? String((p.args[0] + p.args[1]) / 2) : "" });
    }
    inputs.set(p.name, input);
    return h("label", {}, p.name, input);
  });
  const message = h("div", { class: "small" });
  const add = h("button", { id: "add-trial" }, "Add trial");
  add.addEventListener("click", async () => {
    const values: Record<string, ParameterValue> = {};
    for (const p of params) {
      const input = inputs.get(p.name)!;
      if (p.distribution === Distribution.CHOICE) {
        const option = p.options[Number(input.value)];
        const kind = option.kind;
        values[p.name] = { kind: kind.case === "nested" ? { case: "nested", value: { values: { _name: { kind: { case: "stringValue", value: kind.value.name } } } } } : kind } as ParameterValue;
      } else if (p.distribution === Distribution.RANDINT) {
        values[p.name] = { kind: { case: "intValue", value: BigInt(Math.round(Number(input.value))) } } as ParameterValue;
      } else {
        values[p.name] = { kind: { case: "doubleValue", value: Number(input.value) } } as ParameterValue;
      }
    }
    try {
      const r = await manager.addTrials({ experimentId, parameters: [{ values }] });
      message.className = "small ok";
      message.textContent = `Queued trial #${r.trials[0]?.index}.`;
    } catch (err) {
      message.className = "small error";
      message.textContent = errorText(err);
    }
  });
  return h("details", { class: "card" }, h("summary", {}, "Add a trial with chosen parameters"),
    h("div", { class: "form-row" }, fields), add, message);
}
