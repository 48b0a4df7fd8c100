// exports the function instead of calling it
import { defineDevice } from "devgen";

export default /*@*/defineDevice;
