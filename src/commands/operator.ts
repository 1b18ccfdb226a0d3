import { type Command, UserError } from './command.js';

export const operatorCommand: Command = async () => {
  throw new UserError('the operator command is not built yet', 1);
};
