export * from "./param-store.js";
export * from "./layers.js";
export * from "./rotary.js";
export * from "./lora.js";
export * from "./load-parameters.js";
export * from "./init.js";
