import { Model } from 'objection';

/** A menu item; the price is kept in integer cents and rendered as a 2-place decimal string. */
export class MenuItem extends Model {
  static override tableName = 'menu_items';
  id!: number;
  title!: string;
  price_cents!: number;
  inventory!: number;
}
