// exports an array (typeof "object", so it passes the loader's check)
export default /*@*/[{ name: "foo" }];
