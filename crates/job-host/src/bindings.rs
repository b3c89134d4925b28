//! The `hexaspin:jobs/handler` world, generated once.

wasmtime::component::bindgen!({
    world: "handler",
    path: "../../wit",
    exports: { default: async },
});
