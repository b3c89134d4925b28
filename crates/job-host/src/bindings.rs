//! The `hexaspin:jobs/job` world, generated once.

wasmtime::component::bindgen!({
    world: "handler",
    path: "../../wit",
    exports: { default: async },
});
