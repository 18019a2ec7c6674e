/** `latentr3 model merge-lora`: a LoRA adapter folder folded into its base, written as a plain model folder. */
import { str, optStr, UsageError, type CommandSpec } from "./command.js";
import { mergeLoraFolder } from "../pipeline/merge-lora.js";
import { modelFolderProblem } from "../llm/checkpoint.js";
import { isAdapterFolder } from "../llm/lora.js";

const mergeLora: CommandSpec = {
  path: ["model", "merge-lora"],
  summary: "fold a LoRA adapter folder into its base model and write a plain Hugging Face folder",
  description:
    "Loads --base (a model folder), applies the PEFT adapter in --adapter, adds (alpha/r)·B·A to each adapted weight\n" +
    "and writes --out as a plain folder (config.json, model.safetensors in the base checkpoint's dtype, tokenizer,\n" +
    "and LatentRATT when the adapter folder has one), which Hugging Face tools and every latentr3 command load.",
  options: [
    { name: "adapter", type: "string", required: true, help: "LoRA adapter folder (adapter_config.json)" },
    { name: "base", type: "string", help: "base model folder (default: the adapter config's base_model_name_or_path)" },
    { name: "out", type: "string", required: true, help: "folder to write" },
  ],
  examples: ["latentr3 model merge-lora --adapter runs/lora-sft/model --out runs/lora-sft/merged"],
  async run(args) {
    const adapter = str(args, "adapter");
    if (!isAdapterFolder(adapter)) throw new UsageError(`--adapter ${adapter}: no adapter_config.json there`);
    const base = optStr(args, "base");
    const problem = base === undefined ? undefined : modelFolderProblem(base);
    if (problem) throw new UsageError(`--base ${base}: ${problem}`);
    const out = await mergeLoraFolder({ adapter, base, out: str(args, "out") });
    console.log(`merged model written to ${out}`);
  },
};

export const modelCommands: CommandSpec[] = [mergeLora];
