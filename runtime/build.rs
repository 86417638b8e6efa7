//! Builds the runtime's WebAssembly blob (only with the `std` feature, as the node does).
fn main() {
	#[cfg(feature = "std")]
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}
