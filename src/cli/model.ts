/** `latentr3 model merge-lora`: a LoRA adapter folder folded into its base, written as a plain model folder. */
import { UsageError, type CommandSpec } from "./command.js";
import { isAdapterFolder } from "../llm/lora.js";
import { modelFolderProblem } from "../llm/checkpoint.js";
import { MERGE_LORA_COMMAND, mergeLoraFolder } from "../pipeline/merge-lora.js";
import { RUN_CONFIG } from "../train/run-folder.js";
import { configTable, optional, required } from "../util/config-table.js";

const MERGE_LORA_CONFIG = configTable("LoRA merge", {
  adapter: required("LoRA adapter folder (adapter_config.json), e.g. a LoRA `train sft` run's model/"),
  base: optional("string", "base model folder (default: the adapter config's base_model_name_or_path)"),
  out: required("folder to write the merged model into (a new folder, or an earlier merge with --overwrite)"),
});
const MERGE_RUN = RUN_CONFIG.pick("overwrite");

const mergeLora: CommandSpec = {
  path: MERGE_LORA_COMMAND.split(" "),
  summary: "fold a LoRA adapter folder into its base model and write a plain Hugging Face folder",
  description:
    "Loads --base (a model folder), applies the PEFT adapter in --adapter, adds (alpha/r)·B·A to each adapted weight\n" +
    "and writes --out as a plain folder (config.json, model.safetensors in the base checkpoint's dtype, tokenizer,\n" +
    "and LatentRATT when the adapter folder has one), which Hugging Face tools and every latentr3 command load.\n" +
    "--out may not be or lie inside --adapter or --base; a used --out must be an earlier merge, replaced with --overwrite.",
  options: [MERGE_LORA_CONFIG, MERGE_RUN],
  examples: [
    "latentr3 model merge-lora --adapter runs/lora-sft/model --out runs/lora-sft/merged",
    "latentr3 model merge-lora --adapter runs/lora-rl/model --base /models/Qwen2.5-3B --out runs/lora-rl/merged --overwrite",
  ],
  async run(args) {
    const c = MERGE_LORA_CONFIG.from(args.values);
    const { overwrite } = MERGE_RUN.from(args.values);
    if (!isAdapterFolder(c.adapter)) throw new UsageError(`--adapter ${c.adapter}: no adapter_config.json there`);
    const problem = c.base === undefined ? undefined : modelFolderProblem(c.base);
    if (problem) throw new UsageError(`--base ${c.base}: ${problem}`);
    const out = await mergeLoraFolder({ adapter: c.adapter, base: c.base, out: c.out, overwrite });
    console.log(`merged model written to ${out}`);
  },
};

export const modelCommands: CommandSpec[] = [mergeLora];
