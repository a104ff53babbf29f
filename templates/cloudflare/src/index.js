// The payment proxy, as the npm package ships it built (no Rust needed): the Worker's handlers and
// its Durable Object classes, by the names wrangler.toml binds. To serve it beside routes of your
// own, see README.md ("Beside your own routes").
export { default, Payment, Budget, Guard } from "palpluss-stk/worker";
