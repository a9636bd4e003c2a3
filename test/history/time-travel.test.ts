import { describeEachDatabase } from '../support/gateway';
import { timeTravel } from './time-travel.scenario';

describeEachDatabase('time travel over the change log, reading the database', timeTravel);
