// exports an array: typeof "object", yet not a device description
export default /*@*/[{ name: "foo" }];
